"""The ASGI app: the HTTP API, server-sent events of a turn's lines, health checks and the web chat.

Endpoints are plain (sync) functions: FastAPI runs them in its thread pool, and a turn is CPU work on
LangGraph's sync API. Errors are short JSON bodies (`{"detail": ...}`); a traceback only reaches the log.
"""


import asyncio
import hmac
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from .docs import api_page
from .locks import ConversationBusy
from .models import ConversationOut, Health, MessageIn, NewConversation, Problem, TurnReply
from .service import ChatService, NotYourConversation, UnknownConversation

log = logging.getLogger("procall.server")

MAX_BODY_BYTES = 64 * 1024  # far above any message the API accepts; a bigger body is refused unread


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        self.status, self.detail, self.headers = status, detail, headers


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _describe(errors: list[dict]) -> tuple[int, str]:
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the request body is not valid JSON"
    parts = []
    for e in errors:
        field = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{field}: {e.get('msg', 'invalid')}")
    return 422, "; ".join(parts)


ERRORS = {400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem},
          409: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Problem}}


def create_app(settings: Settings | None = None, service_factory: Callable[[Settings], ChatService] | None = None
               ) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = await asyncio.to_thread(service_factory or ChatService, settings)
        try:
            yield
        finally:
            app.state.service.close()
            app.state.service = None

    app = FastAPI(title="procall", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="A customer-service assistant built on process calling. Create a conversation, "
                              "then send the customer's messages with the conversation's secret.")

    # -- errors: short JSON, never a traceback --------------------------------------------

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(*_describe(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _problem(500, "internal error: the server could not answer; it was logged")

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return _problem(413, f"request body too large (at most {MAX_BODY_BYTES} bytes)")
        return await call_next(request)

    # -- dependencies -----------------------------------------------------------------------

    def service(request: Request) -> ChatService:
        found = getattr(request.app.state, "service", None)
        if found is None:
            raise ApiError(503, "the assistant is starting")
        return found

    def bearer(authorization: Annotated[str | None, Header()] = None) -> None:
        if settings.server_token is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), settings.server_token):
            raise ApiError(401, "a valid 'Authorization: Bearer <token>' header is required",
                           {"WWW-Authenticate": "Bearer"})

    def conversation_access(conversation_id: str, chat: Annotated[ChatService, Depends(service)],
                            x_conversation_secret: Annotated[str | None, Header()] = None) -> str:
        try:
            chat.check_access(conversation_id, x_conversation_secret)
        except UnknownConversation:
            raise ApiError(404, f"no conversation '{conversation_id}'") from None
        except NotYourConversation:
            raise ApiError(403, "this conversation belongs to another session: send its secret as "
                                "'X-Conversation-Secret'") from None
        return conversation_id

    def checked_text(body: MessageIn) -> str:
        text = body.text.strip()
        if not text:
            raise ApiError(422, "text: the message is empty")
        if len(text) > settings.max_message_chars:
            raise ApiError(422, f"text: the message is too long ({len(text)} characters, at most "
                                f"{settings.max_message_chars})")
        return text

    Chat = Annotated[ChatService, Depends(service)]
    Conversation = Annotated[str, Depends(conversation_access)]

    # -- the API ----------------------------------------------------------------------------

    @app.post("/conversations", response_model=NewConversation, status_code=201, responses=ERRORS,
              dependencies=[Depends(bearer)], summary="Start a conversation (returns its id, secret and greeting)")
    def create_conversation(chat: Chat) -> NewConversation:
        return chat.create()

    @app.post("/conversations/{conversation_id}/messages", response_model=TurnReply, responses=ERRORS,
              dependencies=[Depends(bearer)], summary="Send the customer's message; returns the assistant's reply")
    def send_message(body: MessageIn, chat: Chat, conversation_id: Conversation) -> TurnReply:
        text = checked_text(body)
        try:
            return chat.send(conversation_id, text, body.message_id)
        except ConversationBusy:
            raise ApiError(409, "this conversation's previous message is still being answered; "
                                "send again later", {"Retry-After": "1"}) from None

    @app.post("/conversations/{conversation_id}/messages/stream", responses=ERRORS, dependencies=[Depends(bearer)],
              summary="Send a message; the reply's lines come as server-sent events",
              response_description="text/event-stream: 'line' events ({key, text}) as the turn says them, then "
                                   "one 'reply' event (the whole reply) or one 'error' event")
    def stream_message(body: MessageIn, chat: Chat, conversation_id: Conversation) -> StreamingResponse:
        text = checked_text(body)
        events: queue.Queue[tuple[str, str] | None] = queue.Queue()

        def work() -> None:
            # The turn runs in its own thread from start to end (its lock is held there); the
            # response only reads the queue.
            try:
                reply = chat.send(conversation_id, text, body.message_id,
                                  on_line=lambda line: events.put(("line", line.model_dump_json())))
                events.put(("reply", reply.model_dump_json()))
            except ConversationBusy:
                events.put(("error", json.dumps({"detail": "this conversation's previous message is still being "
                                                           "answered; send again later"})))
            except Exception:
                log.exception("internal error while streaming a turn of %s", conversation_id)
                events.put(("error", json.dumps({"detail": "internal error: the server could not answer"})))
            finally:
                events.put(None)

        threading.Thread(target=work, name=f"turn-{conversation_id[:8]}", daemon=True).start()

        async def stream() -> AsyncIterator[str]:
            while (item := await asyncio.to_thread(events.get)) is not None:
                yield f"event: {item[0]}\ndata: {item[1]}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/conversations/{conversation_id}", response_model=ConversationOut, responses=ERRORS,
             dependencies=[Depends(bearer)], summary="The transcript, the identified customer and the dialogue stack")
    def get_conversation(chat: Chat, conversation_id: Conversation) -> ConversationOut:
        return chat.view(conversation_id)

    @app.get("/healthz", response_model=Health, summary="The process is up")
    def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}},
             summary="The assistant is built and its databases answer")
    def readyz(request: Request):
        chat = getattr(request.app.state, "service", None)
        if chat is None:
            return JSONResponse(Health(status="not ready", detail="starting").model_dump(), status_code=503)
        try:
            chat.check_ready()
        except Exception as exc:
            log.warning("not ready: %s", exc)
            return JSONResponse(Health(status="not ready", detail=f"{type(exc).__name__}").model_dump(),
                                status_code=503)
        return Health(status="ready")

    # -- pages ------------------------------------------------------------------------------

    chat_page = files("procall.server").joinpath("static", "chat.html").read_text()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(chat_page)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(api_page(app.openapi()))

    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` and `--workers N`: each worker builds the app from PROCALL_* settings."""
    return create_app(Settings())
