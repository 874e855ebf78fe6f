"""Data for the two-node test (tests/hardening/test_two_nodes.py), built inside
the site (`manage.py shell -c`): people who log in through the balancer with
their passwords, and the courses they pay for."""

import json

from accounts.factories import TEST_PASSWORD


def build(tag, load_courses=0):
    from accounts.factories import UserFactory
    from accounts.roles import make_approver
    from accounts.testing import give_authenticator
    from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory

    approver = make_approver(UserFactory(username=f"{tag}-approver"))
    device = give_authenticator(approver)
    student = UserFactory(username=f"{tag}-student")
    course = InterviewCourseFactory(title=f"{tag} course", slug=f"{tag}-course")
    question = InterviewQuestionFactory(course=course, order=1)
    load = [
        InterviewCourseFactory(title=f"{tag} load {n}", slug=f"{tag}-load-{n}").slug
        for n in range(load_courses)
    ]
    print(
        "RESULT "
        + json.dumps(
            {
                "password": TEST_PASSWORD,
                "approver": approver.username,
                "totp_key": device.key,
                "student": student.username,
                "course": course.slug,
                "question": str(question.public_id),
                "load_courses": load,
            }
        )
    )
