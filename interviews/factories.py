from decimal import Decimal

import factory

from interviews.models import InterviewCourse, InterviewQuestion


class InterviewCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewCourse
        django_get_or_create = ["slug"]

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "Practise the questions employers ask."
    fee = Decimal("200.00")
    duration_minutes = 30
    is_active = True


class InterviewQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterviewQuestion

    course = factory.SubFactory(InterviewCourseFactory)
    text = factory.Sequence(lambda n: f"Question {n}: tell us about yourself.")
    order = factory.Sequence(lambda n: n + 1)
    preparation_seconds = 5
    max_answer_seconds = 30
