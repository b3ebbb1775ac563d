"""`/api/invoices/{invoice_id}/pdf`: an invoice's PDF (services/invoice_pdf.py), made on request.
Staff (the staff session cookie) get any invoice, drafts too; a client (the portal cookie) only
their own customer's sent invoices. Everyone else, an unknown id, another customer's invoice and
a draft asked for by a client all get the same 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kontrol_app.api.private_pdf import not_found, serve_private_pdf
from kontrol_app.models import Invoice, InvoiceStatus
from kontrol_app.services import invoice_pdf


async def invoice_download(request: Request) -> Response:
    invoice_id: int = request.path_params["invoice_id"]
    if not 0 < invoice_id <= 2**31 - 1:  # past an INTEGER column there is no such invoice
        return not_found()

    def make(session, staff, portal) -> tuple[bytes, str] | None:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return None
        own = portal is not None and invoice.customer_id == portal.customer_id and invoice.status != InvoiceStatus.DRAFT
        if staff is None and not own:
            return None
        return invoice_pdf.render(session, invoice.id), invoice_pdf.pdf_name(invoice)

    return await serve_private_pdf(request, make)


def routes() -> list[Route]:
    return [Route("/api/invoices/{invoice_id:int}/pdf", invoice_download, methods=["GET"])]
