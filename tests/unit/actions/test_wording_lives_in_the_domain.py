"""Every sentence a customer reads is a response in domain.yml, never a string in actions/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ACTIONS = Path(__file__).resolve().parents[3] / "actions"
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                nodes.add(id(body[0].value))
    return nodes


def _not_for_customers(tree: ast.AST) -> set[int]:
    """Strings in log calls, exceptions and f-string pieces of those: for developers."""
    nodes = set()
    for node in ast.walk(tree):
        developer_call = isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS)
            or (isinstance(node.func, ast.Name) and node.func.id.endswith(("Error", "Exception")))
        )
        if developer_call or isinstance(node, ast.Raise):
            nodes.update(id(child) for child in ast.walk(node))
    return nodes


def looks_like_a_sentence(text: str) -> bool:
    words = text.split()
    return len(words) >= 4 and (text.rstrip()[-1:] in ".?!" or text[:1].isupper())


def customer_sentences(source: str) -> list[str]:
    tree = ast.parse(source)
    skipped = _docstring_nodes(tree) | _not_for_customers(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and looks_like_a_sentence(node.value)
    ]


@pytest.mark.parametrize("path", sorted(ACTIONS.glob("*.py")), ids=lambda path: path.name)
def test_no_customer_facing_sentence_in_the_action_code(path: Path) -> None:
    assert customer_sentences(path.read_text(encoding="utf-8")) == []


def test_the_scan_finds_a_sentence_but_not_docstrings_or_logs() -> None:
    source = '''
"""Module docstring. It is long enough to look like a sentence."""
import logging
logger = logging.getLogger(__name__)
ANSWER = "Your request has been sent to the Help Desk."
logger.warning("the help desk refused ticket %s", 1)
raise ValueError("HELPDESK_URL must be an http(s) URL, got this.")
KEY = "faq/cookies_purpose"
'''
    assert customer_sentences(source) == ["Your request has been sent to the Help Desk."]
