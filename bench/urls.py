from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def ok(request):
    """The least a Django view can do, behind the site's whole middleware stack."""
    return HttpResponse("ok")


urlpatterns = [path("bench/ok/", ok), *site_urlpatterns]
