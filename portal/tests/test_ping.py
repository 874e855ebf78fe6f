import pytest

pytestmark = pytest.mark.django_db


def test_ping_answers_pong_without_touching_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/ping")
    assert response.status_code == 200
    assert response.content == b"pong"


def test_ping_refuses_posts(client):
    assert client.post("/ping").status_code == 405
