"""Pure Block Kit builders and the view models they draw; nothing here talks to Slack or imports bot/."""

from blocks.approval import approval_card
from blocks.confirmation import confirmation_card
from blocks.ids import ActionId, ButtonValue, InvalidButtonValue, decode_button_value, encode_button_value
from blocks.limits import check_message
from blocks.message import Message
from blocks.root import root_message
from blocks.text import code_block, escape, one_line, split_text, truncate
from blocks.thread import agent_messages, error_message, notice, progress_message, reminder
from blocks.views import (
    ApprovalState,
    ApprovalView,
    ConfirmationState,
    ConfirmationView,
    Decision,
    ErrorView,
    IncidentStatus,
    IncidentView,
    ProgressView,
    StepState,
    StepView,
)

__all__ = [
    "ActionId",
    "ApprovalState",
    "ApprovalView",
    "ButtonValue",
    "ConfirmationState",
    "ConfirmationView",
    "Decision",
    "ErrorView",
    "IncidentStatus",
    "IncidentView",
    "InvalidButtonValue",
    "Message",
    "ProgressView",
    "StepState",
    "StepView",
    "agent_messages",
    "approval_card",
    "check_message",
    "code_block",
    "confirmation_card",
    "decode_button_value",
    "encode_button_value",
    "error_message",
    "escape",
    "notice",
    "one_line",
    "progress_message",
    "reminder",
    "root_message",
    "split_text",
    "truncate",
]
