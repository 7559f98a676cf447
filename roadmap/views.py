from django.shortcuts import get_object_or_404, render

from .models import Roadmap


def home(request):
    roadmaps = Roadmap.objects.visible_to(request.user).with_counts()
    return render(request, "roadmap/home.html", {"roadmaps": roadmaps})


def roadmap_detail(request, slug):
    roadmap = get_object_or_404(
        Roadmap.objects.visible_to(request.user).with_counts().with_outline(), slug=slug
    )
    return render(request, "roadmap/roadmap_detail.html", {"roadmap": roadmap})
