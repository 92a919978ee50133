"""Recording the beneficiary's reply to a notice: the text, the day it came, how, and the documents given."""

from __future__ import annotations

from django.db import router, transaction
from django.utils.translation import gettext

from sijill.audit.trail import record

from . import workflow
from .models import Case, Reply, ReplyAttachment


def record_reply(case: Case, *, actor, text: str, received_on, channel: str, files=(), request=None) -> Reply:
    """Keep the reply and its documents, and move the case to the response stage (any time in the period)."""
    if case.state != workflow.S.NOTICE_SENT and not (case.state == workflow.S.RESPONSE and case.appeals):
        raise workflow.TransitionError(gettext("A reply is recorded once a notice was sent."))
    with transaction.atomic(using=router.db_for_write(Case)):
        reply = Reply.objects.create(case=case, received_on=received_on, channel=channel, text=text.strip(),
                                     recorded_by=actor)
        for upload in files:
            ReplyAttachment.objects.create(reply=reply, file=upload, name=upload.name[:200], size=upload.size)
        if case.state == workflow.S.NOTICE_SENT:
            first_line = text.strip().splitlines()[0][:500] if text.strip() else ""
            workflow.response(case, actor=actor, reason=first_line, replied=True, request=request, reply=reply)
        else:  # an appeal's reply, at the response stage already: the trail records it all the same
            record("case_reply", request=request, user=actor, target=case, reply=reply.pk,
                            channel=channel, attachments=len(files))
    return reply
