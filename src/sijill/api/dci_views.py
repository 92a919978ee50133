"""The DCI endpoints beyond the synchronous search: asynchronous search, transaction status (sync and
async) and civil-registry death notifications. Views stay thin: the work is in callbacks, txnstatus and
deaths."""

from __future__ import annotations

import json
import uuid

from django.db import transaction
from ninja import Router

from . import deaths, subscriptions, tasks, txnstatus
from .answers import ack, signed
from .auth import require
from .callbacks import callback_url, signed_body
from .envelope import Refused, response_header, verify
from .models import Partner, Transaction
from .registry_views import ERRORS, check_count
from .schemas import Ack, NotifyEnvelope, OnSubscribeEnvelope, OnTxnStatusEnvelope, SearchEnvelope, TxnStatusEnvelope

router = Router(tags=["DCI"])


@router.post("/search", response={202: Ack, **ERRORS}, summary="Search, answered on the partner's callback",
             description="As sync/search, for partners that cannot wait: acknowledged at once; the signed "
                         "on-search goes to <callback base URL>/registry/on-search registered for the sender "
                         "(header.sender_uri is not used).")
def search(request, envelope: SearchEnvelope):
    require(request, "search_people")
    header, message = verify(json.loads(request.body), request.auth, "search")
    check_count(header, message["search_request"], "search")
    if callback_url(header["sender_id"], "registry/on-search") is None:
        raise Refused("err.sender_uri.invalid", "No callback URL is registered for this sender: use sync/search, "
                      "or ask the registry's administrator to register one.", header=header, action="search")
    txn = Transaction.objects.create(sender_id=header["sender_id"], transaction_id=message["transaction_id"],
                                     correlation_id=uuid.uuid4().hex, token=request.auth, request=message)
    transaction.on_commit(lambda: tasks.answer_search.enqueue(txn.pk))
    return ack(txn.correlation_id)


@router.post("/sync/txn/status", response={200: OnTxnStatusEnvelope, **ERRORS}, summary="Status of a search",
             description="The state of the sender's own asynchronous search (by transaction_id, correlation_id "
                         "or reference_id_list) and, once answered, its answer.")
def sync_txn_status(request, envelope: TxnStatusEnvelope):
    require(request, "search_people")
    header, message = verify(json.loads(request.body), request.auth, "txn-status")
    status, answer = txnstatus.answer(header["sender_id"], message, request=request)
    return signed(response_header("txn-on-status", header, status=status, total=1, completed=1), answer)


@router.post("/txn/status", response={202: Ack, **ERRORS}, summary="Status of a search, on the callback",
             description="As sync/txn/status; the answer goes to <callback base URL>/registry/txn/on-status.")
def txn_status(request, envelope: TxnStatusEnvelope):
    require(request, "search_people")
    header, message = verify(json.loads(request.body), request.auth, "txn-status")
    if callback_url(header["sender_id"], "registry/txn/on-status") is None:
        raise Refused("err.sender_uri.invalid", "No callback URL is registered for this sender: use "
                      "sync/txn/status.", header=header, action="txn-status")
    status, answer = txnstatus.answer(header["sender_id"], message, request=request)
    body = signed_body(response_header("txn-on-status", header, status=status, total=1, completed=1), answer)
    transaction.on_commit(lambda: tasks.deliver.enqueue(header["sender_id"], "registry/txn/on-status", body))
    return ack(answer["correlation_id"] or header["message_id"])


@router.post("/notify", response={202: Ack, **ERRORS}, summary="Death notifications from the civil registry",
             description="Civil registries only (a DCI partner marked civil registry, its data officer's token). "
                         "Each notify_event names one deceased person (dci_PersonRecord: identifier_type UIN, "
                         "identifier, deathdate). The acknowledgement is the same whether the person is "
                         "registered or not.")
def notify(request, envelope: NotifyEnvelope):
    require(request, "notify_deaths")
    header, message = verify(json.loads(request.body), request.auth, "notify")
    if not Partner.objects.filter(sender_id=header["sender_id"], civil_registry=True, active=True).exists():
        raise Refused("err.sender_id.invalid", f"Sender “{header['sender_id']}” is not registered as a civil "
                      "registry.", 403, header=header, action="notify")
    events = message["notify_event"]
    check_count(header, events, "notify")
    for i, event in enumerate(events):
        try:
            deaths.check_event(event)
        except deaths.NotADeath as e:
            raise Refused("err.request.bad", f"notify_event[{i}] ({event.get('reference_id')}): {e}",
                          header=header, action="notify") from None
    for event in events:
        deaths.receive(event, sender_id=header["sender_id"])
    return ack(header["message_id"])


@router.post("/on-subscribe", response={202: Ack, **ERRORS}, summary="A civil registry confirms a subscription",
             description="The answer of a civil registry to the registry's subscribe (`sijill api subscribe`): its "
                         "subscription code, or why it refused.")
def on_subscribe(request, envelope: OnSubscribeEnvelope):
    require(request, "notify_deaths")
    header, message = verify(json.loads(request.body), request.auth, "on-subscribe")
    if not Partner.objects.filter(sender_id=header["sender_id"], civil_registry=True, active=True).exists():
        raise Refused("err.sender_id.invalid", f"Sender “{header['sender_id']}” is not registered as a civil "
                      "registry.", 403, header=header, action="subscribe")
    subscriptions.confirmed(header["sender_id"], message)
    return ack(message.get("correlation_id") or header["message_id"])
