"""The look-ups every service shares (services/errors.py): "not found" for an id that does not
exist, one that is not a whole number, and another customer's row, all in the same words."""

import pytest

from kontrol_app.models import Job
from kontrol_app.services.errors import NotFound, find, found
from tests.factories import make_customer, make_job


def test_find_returns_the_row_and_refuses_what_it_cannot_find(session, owner):
    acme = make_customer(session, owner, "Acme")
    job_id = make_job(session, owner, acme)

    assert find(session, Job, job_id, "No such job.").id == job_id
    assert find(session, Job, job_id, "No such job.", customer_id=acme).id == job_id
    # What a page can send as an id: gone, text, a number with a fraction, a flag, nothing.
    for sent in (job_id + 1000, str(job_id), float(job_id), True, None):
        with pytest.raises(NotFound) as refused:
            find(session, Job, sent, "No such job.")
        assert refused.value.message == "No such job."


def test_another_customers_row_is_not_found_in_the_same_words(session, owner):
    acme = make_customer(session, owner, "Acme")
    other = make_customer(session, owner, "Other Co")
    job_id = make_job(session, owner, acme)

    with pytest.raises(NotFound) as refused:
        find(session, Job, job_id, "That job is not in your portal.", customer_id=other)
    assert refused.value.message == "That job is not in your portal."
    with pytest.raises(NotFound):
        found(session.get(Job, job_id), "That job is not in your portal.", customer_id=other)
    with pytest.raises(NotFound):
        found(None, "Gone.")
    assert found(session.get(Job, job_id), "Gone.", customer_id=acme).id == job_id
