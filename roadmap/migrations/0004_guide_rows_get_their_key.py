"""Rows loaded from the guide file before content had a ``key`` get the key the
file now gives them, so the next reload finds them instead of adding copies, and
the slug and title the file gave them as their ``guide_values``, so the next
reload keeps a slug or title an admin changed since.

A row is known by its slug where it still has the file's slug, else by its title
(name) when exactly one unkeyed row under the same parent has the file's title:
that finds rows an admin renamed. Rows matching neither (added in the admin, or
with both slug and title edited) keep no key, and reloads leave them alone.

The guide as it was when keys arrived is frozen below: slug -> title for every
row, nested as in the roadmap. A key is the slug path at that time.
"""

from django.db import migrations

# roadmap slug -> [title, stage slug -> [title, milestone slug -> [title, item slug -> title]]]
GUIDE = {
    "machine-learning-engineer": [
        "Machine Learning Engineer",
        {
            "year-1-2": [
                "Year 1–2: A strong software engineering base",
                {
                    "programming": [
                        "Programming",
                        {
                            "master-python": "Master Python beyond the basics",
                            "learn-cpp-or-java": "Learn C++ or Java",
                            "leetcode-200": "Solve 200 LeetCode problems",
                            "object-oriented-programming": "Object-oriented programming",
                            "design-patterns-clean-code": "Design patterns and clean code"
                        }
                    ],
                    "core-cs": [
                        "Core CS fundamentals",
                        {
                            "operating-systems": "Operating systems",
                            "computer-networks": "Computer networks",
                            "sql-complex-queries": "SQL and complex queries",
                            "database-design": "Database design"
                        }
                    ],
                    "mathematics": [
                        "Mathematics for ML",
                        {
                            "linear-algebra": "Linear algebra",
                            "calculus": "Calculus",
                            "probability-statistics": "Probability and statistics"
                        }
                    ],
                    "tools": [
                        "Developer tools",
                        {
                            "master-git": "Master Git and version control",
                            "linux-command-line": "Linux command line",
                            "docker-basics": "Docker basics"
                        }
                    ]
                }
            ],
            "year-2-3": [
                "Year 2–3: Machine learning fundamentals and engineering",
                {
                    "ml-theory": [
                        "ML theory",
                        {
                            "andrew-ng-machine-learning": "Andrew Ng's Machine Learning course",
                            "deep-learning-specialization": "Deep Learning Specialization",
                            "fast-ai": "fast.ai Practical Deep Learning",
                            "hands-on-ml-book": "Read Hands-On Machine Learning (Géron)"
                        }
                    ],
                    "ml-frameworks": [
                        "ML frameworks",
                        {
                            "master-one-framework": "Master PyTorch or TensorFlow",
                            "scikit-learn-classical-ml": "Classical ML with scikit-learn",
                            "implement-papers": "Implement research papers from scratch",
                            "custom-training-loops": "Write custom training loops"
                        }
                    ],
                    "production-skills": [
                        "Production skills",
                        {
                            "flask-fastapi-serving": "Serve models with Flask or FastAPI",
                            "rest-api-for-models": "Build REST APIs for ML models",
                            "containerize-ml-apps": "Containerise your ML applications",
                            "deploy-to-cloud-free-tier": "Deploy a model on a cloud free tier"
                        }
                    ],
                    "projects": [
                        "End-to-end ML projects",
                        {
                            "image-classification-web-app": "Image classification web app",
                            "sentiment-analysis-api": "Real-time sentiment analysis API",
                            "recommendation-system": "Recommendation system with a backend",
                            "object-detection-cloud": "Object detection deployed on the cloud",
                            "own-project": "A fifth project of your own"
                        }
                    ]
                }
            ],
            "year-3-4": [
                "Year 3–4: Advanced ML engineering",
                {
                    "advanced-topics": [
                        "Advanced topics",
                        {
                            "distributed-training": "Distributed training (PyTorch DDP, Horovod)",
                            "model-optimization": "Model optimisation: quantisation, pruning, ONNX",
                            "transformers-llms": "Transformers and LLMs with Hugging Face",
                            "mlflow-tracking": "Experiment tracking and model registry with MLflow",
                            "kubeflow-pipelines": "ML pipelines with Kubeflow",
                            "model-monitoring": "Model monitoring"
                        }
                    ],
                    "cloud": [
                        "Cloud platforms",
                        {
                            "aws-ml-services": "AWS for ML: SageMaker, EC2, S3, Lambda",
                            "google-cloud-ml": "Or Google Cloud: Vertex AI and GKE",
                            "deploy-and-scale": "Deploy and scale ML models in the cloud",
                            "autoscaling-load-balancing": "Auto-scaling and load balancing for ML"
                        }
                    ],
                    "system-design": [
                        "ML system design",
                        {
                            "ml-system-design-interviews": "Study ML system design interviews",
                            "designing-ml-systems-book": "Read Designing Machine Learning Systems (Chip Huyen)",
                            "design-recommendation-system": "Design a recommendation system",
                            "design-search-ranking": "Design a search ranking system",
                            "design-fraud-detection": "Design a fraud detection system",
                            "accuracy-latency-cost": "Trade-offs: accuracy vs latency vs cost"
                        }
                    ],
                    "open-source": [
                        "Open source",
                        {
                            "contribute-ml-framework": "Contribute to a major ML framework",
                            "build-ml-library": "Build an ML library or tool",
                            "google-summer-of-code": "Google Summer of Code (ML project)"
                        }
                    ],
                    "market-trends": [
                        "Market trends and the wider toolkit",
                        {
                            "llm-fine-tuning": "Fine-tune an LLM with LoRA or QLoRA",
                            "rag-application": "Build a RAG application",
                            "generative-ai": "Explore generative models",
                            "edge-ml": "Deploy a model to the edge",
                            "continuous-training-drift": "Continuous training and drift detection",
                            "streaming-ml": "Real-time ML with Kafka",
                            "pyspark-big-data": "Process large datasets with PySpark",
                            "ci-cd-for-ml": "CI/CD for ML code",
                            "infrastructure-as-code": "Infrastructure as code with Terraform",
                            "azure-ml": "Azure ML basics",
                            "cuda-basics": "CUDA basics"
                        }
                    ]
                }
            ],
            "career": [
                "Internships, certifications and portfolio",
                {
                    "internships": [
                        "Internships",
                        {
                            "shortlist-companies": "Shortlist product companies with strong ML teams",
                            "internship-resume": "Prepare an internship-ready resume",
                            "start-applying": "Start applying for internships",
                            "structured-programmes": "Apply to structured internship programmes",
                            "ai-startup-internships": "Look for ML internships at AI startups",
                            "complete-ml-internship": "Complete an ML internship at a product company"
                        }
                    ],
                    "certifications": [
                        "Certifications",
                        {
                            "deep-learning-specialization-certificate": "Deep Learning Specialization certificate",
                            "tensorflow-developer-certificate": "TensorFlow Developer Certificate",
                            "aws-ml-certification": "AWS Certified Machine Learning – Specialty",
                            "google-cloud-ml-engineer": "Google Cloud Professional Machine Learning Engineer"
                        }
                    ],
                    "portfolio": [
                        "Portfolio",
                        {
                            "github-portfolio": "GitHub profile with production-quality ML projects",
                            "technical-blog": "Write a technical blog",
                            "kaggle-competitions": "Take part in Kaggle competitions",
                            "kaggle-expert": "Reach Kaggle Expert level",
                            "first-open-source-contributions": "Make your first open-source contributions"
                        }
                    ]
                }
            ],
            "resources": [
                "Books, courses and communities",
                {
                    "books": [
                        "Books",
                        {
                            "goodfellow-deep-learning": "Deep Learning (Goodfellow, Bengio, Courville)",
                            "burkov-ml-engineering": "Machine Learning Engineering (Andriy Burkov)"
                        }
                    ],
                    "online-courses": [
                        "Online courses",
                        {
                            "full-stack-deep-learning": "Full Stack Deep Learning",
                            "stanford-cs229": "Stanford CS229: Machine Learning",
                            "stanford-cs230": "Stanford CS230: Deep Learning",
                            "stanford-cs231n": "Stanford CS231n: CNNs for Visual Recognition"
                        }
                    ],
                    "communities": [
                        "Communities and platforms",
                        {
                            "reddit-ml": "Follow r/MachineLearning and r/MLEngineering",
                            "mlops-community": "Join the MLOps Community Slack",
                            "papers-with-code": "Follow papers with their code",
                            "hugging-face-forums": "Hugging Face Forums",
                            "towards-data-science": "Read Towards Data Science and Medium"
                        }
                    ]
                }
            ]
        }
    ]
}

# skill category slug -> name; skill slug -> name (skills are one catalogue, slugs unique)
SKILL_CATEGORIES = {
    "programming": "Programming & Software Engineering",
    "ml-frameworks": "Machine Learning Frameworks",
    "ml-production": "ML Engineering & Production",
    "cloud": "Cloud & Infrastructure",
    "big-data": "Big Data & Databases",
    "additional": "Additional Technical Skills"
}

SKILLS = {
    "python": "Python",
    "java-cpp-scala": "Java, C++ or Scala",
    "software-engineering": "Software engineering practices",
    "dsa": "Data structures & algorithms",
    "system-design": "System design",
    "git": "Version control (Git)",
    "pytorch-tensorflow": "PyTorch or TensorFlow",
    "tflite-onnx": "TensorFlow Lite & ONNX",
    "keras-lightning": "Keras & PyTorch Lightning",
    "gradient-boosting": "XGBoost, LightGBM, CatBoost",
    "scikit-learn": "scikit-learn",
    "hugging-face": "Hugging Face Transformers",
    "model-deployment": "Model deployment & serving",
    "docker-kubernetes": "Docker & Kubernetes",
    "ml-pipelines": "ML pipelines",
    "feature-stores": "Feature stores",
    "model-monitoring": "Model monitoring",
    "ab-testing": "A/B testing",
    "model-versioning": "Model & experiment versioning",
    "aws-ml": "AWS for ML",
    "google-cloud": "Google Cloud for ML",
    "azure": "Azure for ML",
    "infrastructure-as-code": "Infrastructure as code",
    "ci-cd-ml": "CI/CD for ML",
    "spark": "Spark (PySpark)",
    "hadoop": "Hadoop ecosystem",
    "sql": "SQL",
    "nosql": "NoSQL",
    "streaming": "Streaming",
    "vector-databases": "Vector databases",
    "performance-optimization": "Model performance optimisation",
    "distributed-training": "Distributed training",
    "gpu-programming": "GPU programming (CUDA)",
    "api-development": "API development",
    "linux": "Linux/Unix"
}


def match(rows, known):
    """Pair unkeyed rows with the file's entries: {slug: title} -> [(row, slug)].

    By slug first, then by title where exactly one remaining row has it."""
    rows = list(rows)
    by_slug = {row.slug: row for row in rows}
    pairs, missing = [], []
    for slug, title in known.items():
        if slug in by_slug:
            pairs.append((by_slug.pop(slug), slug))
        else:
            missing.append((slug, title))
    for slug, title in missing:
        same_title = [row for row in by_slug.values() if row_title(row) == title]
        if len(same_title) == 1:
            pairs.append((same_title[0], slug))
            del by_slug[same_title[0].slug]
    return pairs


def title_field(row):
    return "name" if row._meta.model_name in ("skill", "skillcategory") else "title"


def row_title(row):
    return getattr(row, title_field(row))


def title_of(entry):
    return entry[0] if isinstance(entry, list) else entry


def give_keys(apps, schema_editor):
    Roadmap = apps.get_model("roadmap", "Roadmap")
    SkillCategory = apps.get_model("roadmap", "SkillCategory")
    Skill = apps.get_model("roadmap", "Skill")

    def key_children(parent_key, rows, known, children_of):
        titles = {slug: title_of(entry) for slug, entry in known.items()}
        for row, slug in match(rows.filter(key__isnull=True), titles):
            row.key = f"{parent_key}/{slug}" if parent_key else slug
            row.guide_values = {"slug": slug, title_field(row): titles[slug]}
            row.save(update_fields=["key", "guide_values"])
            if children_of is not None:
                children_of(row, known[slug][1])

    def items_of(milestone, known):
        key_children(milestone.key, milestone.items.all(), known, None)

    def milestones_of(stage, known):
        key_children(stage.key, stage.milestones.all(), known, items_of)

    def stages_of(roadmap, known):
        key_children(roadmap.key, roadmap.stages.all(), known, milestones_of)

    key_children("", Roadmap.objects.all(), GUIDE, stages_of)
    key_children("", SkillCategory.objects.all(), SKILL_CATEGORIES, None)
    key_children("", Skill.objects.all(), SKILLS, None)


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0003_content_key"),
    ]

    operations = [
        migrations.RunPython(give_keys, migrations.RunPython.noop),
    ]
