"""An agency's package upload and the status of its own packages. The registry takes no agency's package: the
envelope is checked, then ``sijill.exchange.uploads.receive_package`` refuses the package before reading it and
names the linkage hub it goes to (``sijill hub upload``), where the upload checks are made."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils import translation
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from pydantic import ValidationError

from sijill.exchange.models import Agency, Cycle
from sijill.exchange.uploads import PackageRefused, max_bytes, receive_package

from .auth import require
from .envelope import Refused, response_header, verify
from .packages import file_sha256, own_packages, package_status
from .schemas import OnStatusEnvelope, OnUploadEnvelope, Refusal, StatusEnvelope, UploadMessage

router = Router(tags=["packages"])
ERRORS = {400: Refusal, 401: Refusal, 403: Refusal, 409: Refusal, 413: Refusal, 429: Refusal}


@router.post("/upload", response={200: OnUploadEnvelope, 422: OnUploadEnvelope, **ERRORS},
             summary="Upload an encoded package",
             description="Agency data officers. Multipart: `envelope` (the signed envelope as JSON text, action "
                         "`upload`, its message naming the file's SHA-256) and `package` (the archive of the "
                         "folder `sijill encode` wrote). 200 when accepted; 422 with the reason when refused.")
def upload(request, envelope: Form[str], package: File[UploadedFile]):
    require(request, "upload_packages")
    try:
        data = json.loads(envelope)
    except ValueError:
        raise Refused("err.request.bad", "The envelope field must be JSON text.") from None
    header, message = verify(data, request.auth, "upload")
    context = {"header": header, "action": "upload"}
    try:
        msg = UploadMessage.model_validate(message)
    except ValidationError as e:
        first = e.errors()[0]
        raise Refused("err.request.bad", f"The upload message does not have the expected shape: "
                      f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", **context) from None
    if package.size > max_bytes():
        raise Refused("rjct.package.too_large", f"The file is larger than the {max_bytes() >> 20} MB allowed.", 413,
                      **context)
    if file_sha256(package) != msg.package_sha256.lower():
        raise Refused("rjct.package_sha256.invalid", "The file's SHA-256 is not the one the signed envelope names: "
                      "the file was changed or is not the one signed.", **context)
    agency = Agency.objects.filter(code=request.auth.user.agency).first()
    if agency is None:  # never the registry's own package (agency None) by this door
        raise Refused("err.sender.invalid", "This token's user acts for no registered agency.", 403, **context)
    cycle = None
    if msg.cycle:
        cycle = Cycle.objects.filter(code=msg.cycle).first()
        if cycle is None:
            raise Refused("rjct.cycle.invalid", f"The registry has no cycle “{msg.cycle}”.", **context)
    with translation.override(_language(request)):
        try:
            received = receive_package(package, agency=agency, user=request.auth.user, cycle=cycle, request=request)
        except PackageRefused as e:
            return Status(422, _on_upload(header, msg, "rjct", e.package, "rjct.package.refused", e.reason))
    return Status(200, _on_upload(header, msg, "succ", received))


@router.post("/sync/status", response={200: OnStatusEnvelope, **ERRORS}, summary="Status of the agency's packages",
             description="Agency data officers: their agency's latest packages (at most 50), each accepted or "
                         "refused with the reason, and the state of the cycle's runs that read it.")
def status(request, envelope: StatusEnvelope):
    require(request, "upload_packages")
    header, _ = verify(json.loads(request.body), request.auth, "status")
    msg = envelope.message
    packages = [package_status(p) for p in own_packages(request.auth.user.agency, cycle=msg.cycle,
                                                        ids=msg.package_ids)]
    return {"header": response_header("on-status", header, status="succ", total=len(packages),
                                      completed=len(packages)),
            "message": {"transaction_id": msg.transaction_id, "correlation_id": header["message_id"],
                        "status_response": packages}}


def _on_upload(header: dict, msg: UploadMessage, status: str, package=None, code: str = "",
               reason: str = "") -> dict:
    answer = {"reference_id": msg.reference_id, "status": status,
              "package": package_status(package) if package is not None and package.pk else None}
    if code:
        answer["status_reason_code"], answer["status_reason_message"] = code, reason
    return {"header": response_header("on-upload", header, status=status, total=1, completed=1,
                                      reason_code=code, reason_message=reason),
            "message": {"transaction_id": msg.transaction_id, "correlation_id": header["message_id"],
                        "upload_response": answer}}


def _language(request) -> str:
    """Refusal reasons in English when the caller asks for it (Accept-Language: en), else in Arabic."""
    asked = request.headers.get("Accept-Language", "").strip().lower()
    return "en" if asked.startswith("en") else settings.LANGUAGE_CODE
