from django.urls import path

from interviews import privacy, review_views, room_views, share_views, views

app_name = "interviews"

urlpatterns = [
    path("courses/", views.course_list, name="course_list"),
    # Scheduling (issue 4)
    path("courses/states/", views.card_states, name="card_states"),
    path("courses/<slug:slug>/request/", views.request_interview, name="request"),
    path("interviews/", views.my_interviews, name="my_interviews"),
    path("interviews/state/", views.my_interviews_state, name="my_interviews_state"),
    path("interviews/<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    # The interview room (issue 5)
    path("interviews/<uuid:public_id>/room/", room_views.room, name="room"),
    path(
        "interviews/<uuid:public_id>/room/consent/",
        room_views.consent,
        name="consent",
    ),
    path(
        "interviews/<uuid:public_id>/room/state/",
        room_views.room_state,
        name="room_state",
    ),
    # The Account page: download my data, delete my account (issue 12, item 16)
    path("account/", privacy.account, name="account"),
    path("account/export/", privacy.export, name="account_export"),
    path("account/delete/", privacy.delete, name="account_delete"),
    # Resumable answers (issue 14)
    path(
        "interviews/<uuid:public_id>/answers/<uuid:question_id>/chunks/",
        room_views.answer_chunk,
        name="answer_chunk",
    ),
    path(
        "interviews/<uuid:public_id>/answers/<uuid:question_id>/finish/",
        room_views.finish_answer,
        name="finish_answer",
    ),
    path(
        "answers/<uuid:public_id>/poster/",
        room_views.answer_poster,
        name="answer_poster",
    ),
    path(
        "answers/<uuid:public_id>/video/",
        room_views.answer_video,
        name="answer_video",
    ),
    # The feedback report (issue 16)
    path(
        "interviews/<uuid:public_id>/feedback/",
        review_views.report,
        name="report",
    ),
    path(
        "interviews/<uuid:public_id>/feedback/read/",
        review_views.report_read,
        name="report_read",
    ),
    path(
        "interviews/<uuid:public_id>/feedback/share/",
        share_views.create_share,
        name="create_share",
    ),
    path(
        "interviews/<uuid:public_id>/feedback/share/<uuid:share_id>/revoke/",
        share_views.revoke_share,
        name="revoke_share",
    ),
    path("shared/<str:token>/", share_views.shared, name="shared"),
    path(
        "shared/<str:token>/answers/<uuid:answer_id>/video/",
        share_views.shared_video,
        name="shared_video",
    ),
    path(
        "shared/<str:token>/answers/<uuid:answer_id>/comments/",
        share_views.shared_comment,
        name="shared_comment",
    ),
]
