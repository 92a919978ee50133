"""The shapes of requests and responses, for validation and the OpenAPI document (DCI field names)."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, Field


class MsgHeader(Schema):
    version: str = Field("1.0.0", examples=["1.0.0"])
    message_id: str = Field(..., max_length=128, description="Unique per sender; a repeated id is refused.")
    message_ts: str = Field(..., description="ISO 8601 with offset; within 5 minutes of the registry's clock.",
                            examples=["2026-11-23T20:15:00+03:00"])
    action: str = Field(..., examples=["search"])
    sender_id: str = Field(..., description="The agency's code, or the sender id registered with the token.")
    receiver_id: str | None = Field(None, examples=["sijill"])
    total_count: int = Field(1, ge=0)
    is_msg_encrypted: bool = False
    sender_uri: str | None = None
    meta: dict | None = None


class CallbackHeader(Schema):
    version: str
    message_id: str
    message_ts: str
    action: str
    status: str = Field(..., description="succ, rjct (DCI request status)")
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    total_count: int
    completed_count: int
    sender_id: str
    receiver_id: str
    is_msg_encrypted: bool = False


class Error(Schema):
    code: str = Field(..., examples=["err.signature.invalid"])
    message: str


class ErrorMessage(Schema):
    correlation_id: str | None = None
    error: Error


class Refusal(Schema):
    """What every refused request gets: a header saying rjct (when the request got that far) and the error."""

    header: CallbackHeader | None = None
    message: ErrorMessage


# --- search (registry lookup by national ID) -------------------------------------------------------

class IdTypeValue(Schema):
    type: str = Field(..., examples=["NATIONAL_ID"])
    value: str = Field(..., description="12 digits, Latin or Arabic-Indic; spaces and dashes allowed.",
                       examples=["198503021234"])


class SearchCriteria(Schema):
    model_config = ConfigDict(extra="allow")
    version: str | None = None
    reg_type: str | None = None
    query_type: str = Field(..., examples=["idtype-value"])
    query: IdTypeValue


class SearchRequestItem(Schema):
    reference_id: str = Field(..., max_length=128)
    timestamp: str
    search_criteria: SearchCriteria
    locale: str | None = None


class SearchMessage(Schema):
    transaction_id: str = Field(..., max_length=128)
    search_request: list[SearchRequestItem] = Field(..., min_length=1)


class SearchEnvelope(Schema):
    signature: str | None = Field(None, description="The DCI signature string (docs/api.md), or the bare base64 "
                                  "Ed25519 signature of the canonical JSON of header and message.")
    header: MsgHeader
    message: SearchMessage


class Identifier(Schema):
    identifier_type: str
    identifier_value: str


class EnrolmentRecord(Schema):
    enrolment_id: str
    programme: str
    programme_name: str
    programme_name_ar: str
    status: str = Field(..., description="active, suspended or stopped")
    status_since: str | None


class RegRecord(Schema):
    identifier: Identifier
    registered: bool
    household_id: str | None
    relation_to_head: str | None
    enrolments: list[EnrolmentRecord]


class SearchData(Schema):
    version: str
    reg_type: str
    reg_record_type: str
    registered: bool
    reg_records: list[RegRecord]


class SearchResponseItem(Schema):
    reference_id: str
    timestamp: str
    status: str = Field(..., description="succ or rjct")
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    data: SearchData | None = None
    locale: str | None = None


class OnSearchMessage(Schema):
    transaction_id: str
    correlation_id: str
    search_response: list[SearchResponseItem]


class OnSearchEnvelope(Schema):
    signature: str = Field(..., description="The registry's DCI signature string; its key is in /.well-known/jwks.json")
    header: CallbackHeader
    message: OnSearchMessage


# --- packages: upload and status --------------------------------------------------------------------

class UploadMessage(Schema):
    transaction_id: str = Field(..., max_length=128)
    reference_id: str | None = None
    cycle: str | None = Field(None, description="The cycle's code; by default the cycle the package was made for.")
    package_sha256: str = Field(..., description="SHA-256 of the uploaded file, hexadecimal: binds it to the "
                                "signed envelope.")


class UploadEnvelope(Schema):
    signature: str
    header: MsgHeader
    message: UploadMessage


class RunStatus(Schema):
    state: str
    stage: str
    progress_done: int
    progress_total: int
    queued_at: str | None
    finished_at: str | None


class PackageStatus(Schema):
    package_id: int
    cycle: str
    cycle_state: str
    status: str = Field(..., description="accepted or rejected")
    rejection: str
    sha256: str
    size_bytes: int
    records: int
    payload_fields: list[str]
    uploaded_at: str
    superseded: bool
    runs: list[RunStatus]


class UploadResponse(Schema):
    reference_id: str | None
    status: str = Field(..., description="succ (accepted) or rjct (refused, with the reason)")
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    package: PackageStatus | None = None


class OnUploadMessage(Schema):
    transaction_id: str
    correlation_id: str
    upload_response: UploadResponse


class OnUploadEnvelope(Schema):
    signature: str | None = None
    header: CallbackHeader
    message: OnUploadMessage


class StatusMessage(Schema):
    transaction_id: str = Field(..., max_length=128)
    cycle: str | None = Field(None, description="Only this cycle's packages.")
    package_ids: list[int] | None = Field(None, description="Only these packages.")


class StatusEnvelope(Schema):
    signature: str
    header: MsgHeader
    message: StatusMessage


class OnStatusMessage(Schema):
    transaction_id: str
    correlation_id: str
    status_response: list[PackageStatus]


class OnStatusEnvelope(Schema):
    signature: str | None = None
    header: CallbackHeader
    message: OnStatusMessage


# --- DCI: async search, transaction status, notifications, acknowledgements -------------------------

class AckError(Schema):
    code: str
    message: str


class AckMessage(Schema):
    ack_status: str = Field(..., description="ACK (answer follows on the callback), NACK or ERR")
    timestamp: str
    correlation_id: str
    error: AckError | None = None


class Ack(Schema):
    """The acknowledgement of an asynchronous request (DCI ``Response``)."""

    message: AckMessage


class TxnStatusQuery(Schema):
    model_config = ConfigDict(extra="allow")
    reference_id: str
    txn_type: str = Field(..., examples=["search"])
    attribute_type: str = Field(..., description="transaction_id, correlation_id or reference_id_list")
    attribute_value: str | list[str]
    locale: str | None = None


class TxnStatusMessage(Schema):
    transaction_id: str = Field(..., max_length=99)
    txnstatus_request: TxnStatusQuery


class TxnStatusEnvelope(Schema):
    signature: str | None = None
    header: MsgHeader
    message: TxnStatusMessage


class TxnStatusAnswer(Schema):
    txn_type: str
    txn_status: OnSearchMessage


class OnTxnStatusMessage(Schema):
    transaction_id: str
    correlation_id: str
    txnstatus_response: TxnStatusAnswer


class OnTxnStatusEnvelope(Schema):
    signature: str
    header: CallbackHeader
    message: OnTxnStatusMessage


class NotifyHeader(Schema):
    model_config = ConfigDict(extra="allow")
    version: str = "1.0.0"
    message_id: str = Field(..., max_length=128)
    message_ts: str
    action: str = Field(..., examples=["notify"])
    status: str = Field("succ", description="DCI callback header status")
    sender_id: str = Field(..., description="The civil registry's sender id (its agency code).")
    receiver_id: str | None = None
    total_count: int = Field(1, ge=0)


class PersonRecord(Schema):
    model_config = ConfigDict(extra="allow")
    identifier_type: str = Field("UIN", examples=["UIN"])
    identifier: str = Field(..., examples=["198503021234"])
    deathdate: str = Field(..., examples=["2026-11-20"])


class NotifyData(Schema):
    model_config = ConfigDict(extra="allow")
    version: str | None = None
    reg_type: str | None = Field(None, examples=["ns:org:RegistryType:CRVS"])
    reg_event_type: str | None = Field(None, examples=["death"])
    reg_record_type: str = Field(..., examples=["person"])
    reg_records: PersonRecord


class NotifyEvent(Schema):
    model_config = ConfigDict(extra="allow")
    reference_id: str = Field(..., max_length=128)
    timestamp: str
    data: NotifyData


class NotifyMessage(Schema):
    transaction_id: str = Field(..., max_length=99)
    notify_event: list[NotifyEvent] = Field(..., min_length=1)


class NotifyEnvelope(Schema):
    signature: str | None = None
    header: NotifyHeader
    message: NotifyMessage


class SubscriptionInfo(Schema):
    model_config = ConfigDict(extra="allow")
    code: str = Field(..., max_length=99)
    status: str = Field(..., examples=["subscribe"])
    timestamp: str


class SubscribeAnswer(Schema):
    model_config = ConfigDict(extra="allow")
    reference_id: str
    timestamp: str
    status: str = Field(..., description="succ or rjct")
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    subscriptions: list[SubscriptionInfo] | None = None


class OnSubscribeMessage(Schema):
    transaction_id: str
    correlation_id: str
    subscribe_response: list[SubscribeAnswer]


class OnSubscribeEnvelope(Schema):
    signature: str | None = None
    header: MsgHeader
    message: OnSubscribeMessage
