"""django-mongodb-backend with one addition (issue 18): see base.py."""
