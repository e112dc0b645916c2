"""LLRP command handling: one client message in, the reader's reply messages out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from firmware_sim.llrp import config_response as cfg
from firmware_sim.llrp import requests as req
from firmware_sim.llrp.capabilities import capabilities_body
from firmware_sim.llrp.constants import (
    IMPINJ_ENABLE_EXTENSIONS,
    IMPINJ_ENABLE_EXTENSIONS_RESPONSE,
    RESPONSE_OF,
    VENDOR_IMPINJ,
    Msg,
    Status,
)
from firmware_sim.llrp.decode import DecodeError, Header, is_supported_version
from firmware_sim.llrp.encode import custom_message, error_message, llrp_status, message, response
from firmware_sim.llrp.state import ReaderState, Result

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Reply:
    """What the reader sends back for one message, and whether it then closes the connection."""

    messages: list[bytes] = field(default_factory=list)
    close: bool = False
    bad: bool = False  # the message was malformed or unsupported


class SessionHooks(Protocol):
    """Reader actions that LLRP commands trigger beyond changing state."""

    state: ReaderState

    def settings_changed(self) -> None:
        """SET_READER_CONFIG succeeded (keepalive period or hold flag may have changed)."""

    def events_enabled(self) -> None:
        """ENABLE_EVENTS_AND_REPORTS: deliver what was held for this client."""

    def report_requested(self) -> None:
        """GET_REPORT: send pending reports now."""

    def keepalive_acked(self) -> None:
        """KEEPALIVE_ACK arrived."""


Handler = Callable[[Header, bytes], Reply]


class MessageHandler:
    """Dispatches client messages to the reader state and builds the replies."""

    def __init__(self, hooks: SessionHooks) -> None:
        self._hooks = hooks
        self._handlers: dict[int, Handler] = {
            Msg.GET_READER_CAPABILITIES: self._capabilities,
            Msg.GET_READER_CONFIG: self._get_config,
            Msg.SET_READER_CONFIG: self._set_config,
            Msg.CLOSE_CONNECTION: self._close,
            Msg.ADD_ROSPEC: self._add_rospec,
            Msg.DELETE_ROSPEC: self._rospec_command,
            Msg.START_ROSPEC: self._rospec_command,
            Msg.STOP_ROSPEC: self._rospec_command,
            Msg.ENABLE_ROSPEC: self._rospec_command,
            Msg.DISABLE_ROSPEC: self._rospec_command,
            Msg.GET_ROSPECS: self._get_rospecs,
            Msg.ADD_ACCESSSPEC: self._add_accessspec,
            Msg.DELETE_ACCESSSPEC: self._accessspec_command,
            Msg.ENABLE_ACCESSSPEC: self._accessspec_command,
            Msg.DISABLE_ACCESSSPEC: self._accessspec_command,
            Msg.GET_ACCESSSPECS: self._get_accessspecs,
            Msg.ENABLE_EVENTS_AND_REPORTS: self._enable_events,
            Msg.GET_REPORT: self._get_report,
            Msg.KEEPALIVE_ACK: self._keepalive_ack,
            Msg.ERROR_MESSAGE: self._client_error,
            Msg.CUSTOM_MESSAGE: self._custom,
        }

    def handle(self, header: Header, body: bytes) -> Reply:
        """The reply to one well-framed client message; malformed ones get an error status."""
        if not is_supported_version(header):
            text = f"LLRP version {header.version} is not supported; this reader speaks 1"
            message = error_message(header.msg_id, Status.M_UNSUPPORTED_VERSION, text)
            return Reply([message], bad=True)
        handler = self._handlers.get(header.msg_type)
        if handler is None:
            text = f"message type {header.msg_type} is not supported"
            return _bad(header, Status.M_UNSUPPORTED_MESSAGE, text)
        try:
            return handler(header, body)
        except DecodeError as exc:
            return _bad(header, exc.code, str(exc))

    def _capabilities(self, header: Header, body: bytes) -> Reply:
        requested = req.decode_requested_data(body)
        data = capabilities_body(self._hooks.state.model, requested)
        return Reply([message(Msg.GET_READER_CAPABILITIES_RESPONSE, header.msg_id, data)])

    def _get_config(self, header: Header, body: bytes) -> Reply:
        data = cfg.config_body(self._hooks.state, req.decode_get_config(body))
        return Reply([message(Msg.GET_READER_CONFIG_RESPONSE, header.msg_id, data)])

    def _set_config(self, header: Header, body: bytes) -> Reply:
        result = self._hooks.state.apply(req.decode_set_config(body))
        if result.ok:
            self._hooks.settings_changed()
        return _status_reply(header, result)

    def _close(self, header: Header, body: bytes) -> Reply:
        return Reply([response(Msg.CLOSE_CONNECTION_RESPONSE, header.msg_id)], close=True)

    def _add_rospec(self, header: Header, body: bytes) -> Reply:
        return _status_reply(header, self._hooks.state.add_rospec(req.decode_add_rospec(body)))

    def _rospec_command(self, header: Header, body: bytes) -> Reply:
        state = self._hooks.state
        rospec_id = req.decode_id(body, Msg(header.msg_type).name)
        command = {
            Msg.DELETE_ROSPEC: state.delete_rospec,
            Msg.START_ROSPEC: state.start_rospec,
            Msg.STOP_ROSPEC: state.stop_rospec,
            Msg.ENABLE_ROSPEC: state.enable_rospec,
            Msg.DISABLE_ROSPEC: state.disable_rospec,
        }[Msg(header.msg_type)]
        return _status_reply(header, command(rospec_id))

    def _get_rospecs(self, header: Header, body: bytes) -> Reply:
        data = cfg.rospecs_body(self._hooks.state)
        return Reply([message(Msg.GET_ROSPECS_RESPONSE, header.msg_id, data)])

    def _add_accessspec(self, header: Header, body: bytes) -> Reply:
        spec = req.decode_add_accessspec(body)
        return _status_reply(header, self._hooks.state.add_accessspec(spec))

    def _accessspec_command(self, header: Header, body: bytes) -> Reply:
        state = self._hooks.state
        spec_id = req.decode_id(body, Msg(header.msg_type).name)
        if header.msg_type == Msg.DELETE_ACCESSSPEC:
            result = state.delete_accessspec(spec_id)
        else:
            enabled = header.msg_type == Msg.ENABLE_ACCESSSPEC
            result = state.set_accessspec(spec_id, enabled=enabled)
        return _status_reply(header, result)

    def _get_accessspecs(self, header: Header, body: bytes) -> Reply:
        data = cfg.accessspecs_body(self._hooks.state)
        return Reply([message(Msg.GET_ACCESSSPECS_RESPONSE, header.msg_id, data)])

    def _enable_events(self, header: Header, body: bytes) -> Reply:
        self._hooks.events_enabled()
        return Reply()

    def _get_report(self, header: Header, body: bytes) -> Reply:
        self._hooks.report_requested()
        return Reply()

    def _keepalive_ack(self, header: Header, body: bytes) -> Reply:
        self._hooks.keepalive_acked()
        return Reply()

    def _client_error(self, header: Header, body: bytes) -> Reply:
        # A client's ERROR_MESSAGE says it could not handle something we sent; nothing to answer.
        logger.warning("client sent ERROR_MESSAGE (id %s): %s", header.msg_id, body.hex())
        return Reply()

    def _custom(self, header: Header, body: bytes) -> Reply:
        vendor, subtype, _ = req.decode_custom(body)
        if (vendor, subtype) == (VENDOR_IMPINJ, IMPINJ_ENABLE_EXTENSIONS):
            # Accepted so that Impinj-aware clients proceed; their custom parameters are ignored.
            subtype = IMPINJ_ENABLE_EXTENSIONS_RESPONSE
            return Reply([custom_message(VENDOR_IMPINJ, subtype, header.msg_id, llrp_status())])
        text = f"custom message (vendor {vendor}, subtype {subtype}) is not supported"
        return _bad(header, Status.M_UNSUPPORTED_MESSAGE, text)


def _bad(header: Header, code: int, text: str) -> Reply:
    return Reply([_error_reply(header, code, text)], bad=True)


def _status_reply(header: Header, result: Result) -> Reply:
    # A refused command (say, starting a disabled ROSpec) is ordinary LLRP, not a bad message.
    return Reply([_error_reply(header, result.code, result.text)])


def _error_reply(header: Header, code: int, text: str) -> bytes:
    response_type = RESPONSE_OF.get(header.msg_type)
    if response_type is None:
        return error_message(header.msg_id, code, text)
    return response(response_type, header.msg_id, code, text)
