"""The generated inputs of the fuzz campaign (`make bench-fuzz`, scripts/bench_fuzz.py).

Pure and deterministic: `campaign(seed)` returns the same flows for the same seed. A flow is a
list of requests sent one after the other (a conversation, or a single request); a request names
its target (`rasa` or `helpdesk`), a raw path (sent as is, percent-encoding included), a raw body
and which credentials the runner should add. Nothing here talks to a server.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

WEBHOOK = "/webhooks/rest/webhook"
HUGE = 100_000
# Placeholders the runner fills in: a real ticket reference, and the console's CSRF token.
REFERENCE = "{reference}"
CSRF = "{csrf}"


@dataclass(frozen=True)
class Request:
    target: str  # "rasa" or "helpdesk"
    route: str  # what the report groups by, e.g. "POST /api/v1/tickets"
    kind: str  # what was sent, for the report
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    auth: str | None = None  # "service", "staff", "console" (a logged-in cookie) or None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Flow:
    requests: list[Request] = field(default_factory=list)


def _chars(*ranges: tuple[int, int]) -> str:
    return "".join(chr(c) for start, end in ranges for c in range(start, end + 1))


SCRIPTS: dict[str, str] = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     .,;:!?'\"-()",
    "latin accents": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœŁłŃńŚśŹźŻż ",
    "greek": _chars((0x3B1, 0x3C9)) + "  ",
    "cyrillic": _chars((0x430, 0x44F)) + "  ",
    "arabic": _chars((0x627, 0x64A)) + "  ",
    "hebrew": _chars((0x5D0, 0x5EA)) + "  ",
    "devanagari": _chars((0x905, 0x939), (0x93E, 0x94C)) + " ",
    "thai": _chars((0xE01, 0xE2E), (0xE31, 0xE3A)),
    "cjk": _chars((0x4E00, 0x4FFF)) + "。、",
    "kana": _chars((0x3041, 0x3096), (0x30A1, 0x30FA)),
    "hangul": _chars((0xAC00, 0xAD00)) + " ",
    "emoji": _chars((0x1F600, 0x1F64F), (0x1F300, 0x1F3FF)) + "\u200d\U0001f3fd\ufe0f ",
    "combining marks": "a" + _chars((0x300, 0x36F)),
    "zero-width and bidi": "a \u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066"
    "\u2067\u2068\u2069\ufeff",
    "control characters": _chars((0x0, 0x1F), (0x7F, 0x9F)) + "\u2028\u2029",
}
SCRIPTS["all scripts"] = "".join(SCRIPTS.values())
# Shapes that made unanchored patterns quadratic (issue 16).
SHAPES = {"one long word": "a", "a@": "a@", "PR-": "PR-", "a.": "a.", "x@a.": "x@a."}
MARKUP = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "<b>bold</b><i>it</i>",
    "&lt;div&gt;&amp;&nbsp;&#0;",
    "[click](javascript:alert(1))",
    "**bold** _it_ `code`",
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    "{{7*7}} ${7*7} {email} {requester_name} %s %d %(x)s",
    "'; DROP TABLE tickets; --",
    "../../../../etc/passwd",
    "\\x00\\u0000 \\ud800",
    "PR-AAAA-AAAA pr 7kq2 m9xd PR-0000-0000",
    "jane@example.com " * 3,
    "a@b.c@d.e" * 10,
]
PAYLOADS = [
    "/request_erasure",
    "/request_inquiry",
    "/check_request_status",
    "/faq",
    "/nlu_fallback",
    "/message_too_long",
    "/restart",
    "/session_start",
    "/affirm",
    "/deny",
    "/stop",
    "/try_again",
    "/no_such_intent",
    "/",
    "//",
    '/inform{"email": "jane@example.com"}',
    '/inform{"email": 5}',
    '/inform{"email": ["a", "b"]}',
    '/inform{"reference": null}',
    '/inform{"form_field": {"x": 1}}',
    '/inform{"email": "' + "a" * 5_000 + '@example.com"}',
    "/inform{" + '"a":' * 500 + "1" + "}" * 500,
    "/request_erasure" + "a" * 3_000,
]
FAQ_QUESTIONS = [
    "Can I turn off cookies?",
    "What do you use my personal information for?",
    "Who do you share my data with?",
    "How do I contact the help desk?",
    "please delete all the personal data you have about me",
]
WRONG_JSON_VALUES: list[tuple[str, Any]] = [
    ("null", None),
    ("true", True),
    ("zero", 0),
    ("a number", 12345),
    ("a float", 1.5e308),
    ("a negative", -1),
    ("a list", ["x"]),
    ("an empty list", []),
    ("an object", {"x": 1}),
    ("an empty string", ""),
    ("spaces", "   "),
    ("NUL", "a\x00b"),
    ("unpaired surrogate", "a\ud800b"),
    ("control characters", "\x07\x1b[31m\x7f"),
    ("emoji", "😀🔥👍🏽"),
    ("RTL override", "\u202eevil"),
    ("HTML", "<script>alert(1)</script>"),
    ("huge", "x" * 100_000),
    ("nested", [[[[{"a": [1]}]]]]),
]
RAW_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("blank", b" \n\t"),
    ("not JSON", b"hello"),
    ("truncated JSON", b'{"sender": "x", "message": "hi"'),
    ("not UTF-8", b"\xff\xfe\xfa"),
    ("UTF-8 BOM", b'\xef\xbb\xbf{"sender": "x", "message": "hi"}'),
    ("NUL bytes", b"\x00\x00\x00"),
    ("nested too deep", b"[" * 100_000),
    ("deep object", b'{"a":' * 50_000),
    ("null", b"null"),
    ("a list", b"[]"),
    ("a string", b'"hello"'),
    ("a number", b"42"),
    ("NaN", b'{"sender": "x", "message": NaN}'),
    ("duplicate keys", b'{"sender": "x", "message": "a", "message": "b"}'),
    ("escaped surrogate", b'{"sender": "x", "message": "\\udc00"}'),
    ("huge number", b'{"sender": "x", "message": ' + b"9" * 5_000 + b"}"),
    ("over the size limit", b'{"sender": "x", "message": "' + b"a" * 2_200_000 + b'"}'),
]
PATH_TRICKS = [
    "%00",
    "PR-AAAA-AAAA%00",
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e",
    "%252e%252e",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "%FF%FE",
    "%0D%0ASet-Cookie:%20x=1",
    "a%0Ab",
    "%20",
    "PR-" * 700,
    "x" * 4_000,
    "pr-aaaa-aaaa",
    "PR 2345 6789",
    "PR-2345-678",
    "%3Cscript%3E",
    "'%20OR%201=1--",
    "%25",
    "~",
    "PR-AAAA-AAAA/../..",
]
NOTES = ["%00", "hi", "x" * 6_000, "%ED%A0%80", "%FF"]
TICKET_FIELDS = [
    "type",
    "requester_name",
    "email",
    "phone",
    "membership_id",
    "service",
    "details",
    "origin",
    "conversation_id",
    "conversation_excerpt",
]


def valid_ticket() -> dict[str, Any]:
    return {
        "type": "erasure",
        "requester_name": "Fuzz Customer",
        "email": "fuzz@example.com",
        "service": "CASIO Music Site",
        "details": "Please delete my account.",
        "origin": "chat",
        "conversation_excerpt": [{"sender": "customer", "text": "delete my data"}],
    }


class Generator:
    """Random inputs from one seeded `random.Random`."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def length(self, maximum: int = HUGE) -> int:
        """Mostly short, sometimes huge: log-uniform between 1 and `maximum`, or 0 or `maximum`."""
        roll = self.random.random()
        if roll < 0.03:
            return 0
        if roll < 0.05:
            return maximum
        return min(maximum, int(10 ** self.random.uniform(0, len(str(maximum)) - 1)))

    def text(self, script: str | None = None, length: int | None = None) -> tuple[str, str]:
        name = script or self.random.choice(list(SCRIPTS))
        size = self.length() if length is None else length
        alphabet = SCRIPTS[name]
        # Past a few thousand characters (refused by length anyway) a random block repeats.
        block = "".join(self.random.choices(alphabet, k=min(size, 4_096)))
        return name, (block * (size // max(len(block), 1) + 1))[:size]

    def shaped(self, unit: str, length: int) -> str:
        return (unit * (length // len(unit) + 1))[:length]

    def json_value(self) -> tuple[str, Any]:
        return self.random.choice(WRONG_JSON_VALUES)

    def encode(self, payload: Any) -> bytes:
        """JSON as browsers send it (UTF-8), or \\u-escaped, at random."""
        return json.dumps(payload, ensure_ascii=self.random.random() < 0.3).encode(
            "utf-8", "surrogatepass"
        )

    def sender(self) -> str:
        return f"fuzz-{self.random.getrandbits(64):016x}"


def message(gen: Generator, text: str, kind: str, sender: str | None = None) -> Request:
    body = gen.encode({"sender": sender or gen.sender(), "message": text})
    return Request("rasa", f"POST {WEBHOOK}", kind, "POST", WEBHOOK, body)


def webhook_texts(gen: Generator, count: int) -> Iterator[Flow]:
    """Single messages: every script at every length, markup, payloads, adversarial shapes."""
    for _ in range(count):
        roll = gen.random.random()
        if roll < 0.55:
            script, text = gen.text()
            kind = f"text: {script}, {len(text):,} chars"
        elif roll < 0.65:
            shape, unit = gen.random.choice(list(SHAPES.items()))
            size = gen.length()
            text, kind = gen.shaped(unit, size), f"shape: {shape}, {size:,} chars"
        elif roll < 0.75:
            text = gen.random.choice(MARKUP) * gen.random.choice([1, 1, 5, 500])
            kind = f"markup, {len(text):,} chars"
        elif roll < 0.85:
            text = gen.random.choice(PAYLOADS)
            kind = f"payload {text[:40]}"
        else:
            question = gen.random.choice(FAQ_QUESTIONS)
            _, noise = gen.text(length=gen.random.randint(1, 40))
            text, kind = f"{noise} {question} {noise}", "question with noise"
        yield Flow([message(gen, text, kind)])


def webhook_type_confusion(gen: Generator, count: int) -> Iterator[Flow]:
    """Wrong JSON types and shapes for every field, and bodies that are not a JSON object."""
    fields = ("sender", "message", "metadata", "input_channel")
    for _ in range(count):
        roll = gen.random.random()
        if roll < 0.3:
            label, body = gen.random.choice(RAW_BODIES)
            kind = f"body: {label}"
        elif roll < 0.9:
            name = gen.random.choice(fields)
            label, value = gen.json_value()
            payload: dict[str, Any] = {"sender": gen.sender(), "message": "hello"}
            payload[name] = value
            body, kind = gen.encode(payload), f"{name}: {label}"
        else:
            payload = {"sender": gen.sender(), "message": "hi", "extra": gen.json_value()[1]}
            if gen.random.random() < 0.5:
                payload.pop("sender" if gen.random.random() < 0.5 else "message")
            body, kind = gen.encode(payload), "missing or extra fields"
        path = WEBHOOK + ("?stream=true" if gen.random.random() < 0.05 else "")
        yield Flow([Request("rasa", f"POST {WEBHOOK}", kind, "POST", path, body)])


def conversations(gen: Generator, count: int) -> Iterator[Flow]:
    """Forms filled with fuzz: each answer of a request or status check is random text."""
    for _ in range(count):
        sender = gen.sender()
        if gen.random.random() < 0.7:
            steps = [gen.random.choice(["/request_erasure", "/request_inquiry", "delete my data"])]
            steps += [gen.text(length=gen.length(3_000))[1] for _ in range(4)]
            steps += ["/affirm"]
            kind = "request form with fuzzed answers"
        else:
            steps = ["/check_request_status"]
            steps += [gen.text(length=gen.length(300))[1] for _ in range(2)]
            kind = "status check with fuzzed answers"
        yield Flow([message(gen, text, kind, sender) for text in steps])


def _ticket_request(gen: Generator, payload: Any, kind: str, key: str | None = None) -> Request:
    headers = (
        ("Idempotency-Key", key if key is not None else f"fuzz-{gen.random.getrandbits(64)}"),
    )
    return Request(
        "helpdesk",
        "POST /api/v1/tickets",
        kind,
        "POST",
        "/api/v1/tickets",
        gen.encode(payload) if not isinstance(payload, bytes) else payload,
        auth="service",
        headers=headers,
    )


def helpdesk_tickets(gen: Generator, count: int) -> Iterator[Flow]:
    """Every field of a new ticket with every wrong value, then random mutations."""
    for name in TICKET_FIELDS:
        for label, value in WRONG_JSON_VALUES:
            payload = valid_ticket()
            payload[name] = value
            yield Flow([_ticket_request(gen, payload, f"{name}: {label}")])
    for label, body in RAW_BODIES:
        yield Flow([_ticket_request(gen, body, f"body: {label}")])
    for key in ["", " ", "k" * 201, "a b", "\x7f", "é".encode().decode("latin-1")]:
        yield Flow([_ticket_request(gen, valid_ticket(), f"Idempotency-Key {key[:8]!r}", key)])
    for _ in range(count):
        payload = valid_ticket()
        for name in gen.random.sample(TICKET_FIELDS, gen.random.randint(1, 3)):
            if gen.random.random() < 0.2:
                payload.pop(name, None)
            elif gen.random.random() < 0.5:
                payload[name] = gen.json_value()[1]
            else:
                payload[name] = gen.text(length=gen.length(10_000))[1]
        if gen.random.random() < 0.1:
            payload[gen.text("latin", 8)[1]] = "unknown field"
        yield Flow([_ticket_request(gen, payload, "random mutation")])


def helpdesk_routes(gen: Generator, count: int) -> Iterator[Flow]:
    """The other routes: references with path tricks, odd query strings, staff bodies, logins."""

    def ref_route(reference: str) -> list[Request]:
        base = f"/api/v1/tickets/{reference}"
        email = gen.random.choice(["jane@example.com", "\x00", "\xff", "x" * 3_000, ""])
        return [
            Request(
                "helpdesk", "POST /tickets/{ref}/status", "reference", "POST",
                f"{base}/status", json.dumps({"email": email}).encode(), auth="service",
            ),
            Request(
                "helpdesk", "GET /tickets/{ref}", "reference", "GET", base, None, None, "staff"
            ),
            Request(
                "helpdesk", "POST /tickets/{ref}/transitions", "reference", "POST",
                f"{base}/transitions", b'{"status": "in_progress"}', auth="staff",
            ),
            Request(
                "helpdesk", "PATCH /tickets/{ref}", "reference", "PATCH", base,
                b'{"assignee": "fuzz"}', auth="staff",
            ),
            Request(
                "helpdesk", "POST /tickets/{ref}/notes", "reference", "POST", f"{base}/notes",
                b'{"text": "fuzz"}', auth="staff",
            ),
            Request(
                "helpdesk", "GET /helpdesk/tickets/{ref}", "reference", "GET",
                f"/helpdesk/tickets/{reference}", None, None, "console",
            ),
        ]  # fmt: skip

    for trick in PATH_TRICKS:
        yield Flow(ref_route(trick))

    def staff_body(route: str, path: str, method: str, name: str) -> Request:
        if gen.random.random() < 0.3:
            label, body = gen.random.choice(RAW_BODIES)
        else:
            label, value = gen.json_value()
            body = gen.encode({name: value})
        return Request("helpdesk", route, f"{name}: {label}", method, path, body, auth="staff")

    generators: list[Callable[[], Request]] = [
        lambda: staff_body(
            "POST /tickets/{ref}/transitions",
            f"/api/v1/tickets/{REFERENCE}/transitions",
            "POST",
            "status",
        ),
        lambda: staff_body(
            "PATCH /tickets/{ref}", f"/api/v1/tickets/{REFERENCE}", "PATCH", "assignee"
        ),
        lambda: staff_body(
            "POST /tickets/{ref}/notes", f"/api/v1/tickets/{REFERENCE}/notes", "POST", "text"
        ),
        lambda: Request(
            "helpdesk",
            "POST /staff/sessions",
            "login",
            "POST",
            "/api/v1/staff/sessions",
            gen.encode({"username": gen.json_value()[1], "password": gen.json_value()[1]}),
        ),
        lambda: Request(
            "helpdesk",
            "GET /tickets?filters",
            "filters",
            "GET",
            "/api/v1/tickets?"
            + gen.random.choice(["status", "type", "overdue"])
            + "="
            + gen.random.choice(["new", "%00", "%FF", "x" * 5_000, "true", "maybe", ""]),
            auth="staff",
        ),
        lambda: Request(
            "helpdesk",
            "GET /helpdesk/?filters",
            "console filters",
            "GET",
            "/helpdesk/?status=" + gen.random.choice(["%00", "x" * 3_000, "new", "%ED%A0%80"]),
            auth="console",
        ),
        lambda: Request(
            "helpdesk",
            "POST /helpdesk/tickets/{ref}/notes",
            "console note",
            "POST",
            f"/helpdesk/tickets/{REFERENCE}/notes",
            f"csrf_token={CSRF}&text={gen.random.choice(NOTES)}".encode(),
            "application/x-www-form-urlencoded",
            "console",
        ),
        lambda: Request(
            "helpdesk",
            "POST /helpdesk/new",
            "console new ticket",
            "POST",
            "/helpdesk/new",
            (
                f"csrf_token={CSRF}&form_key=fuzz-{gen.random.getrandbits(32)}&type=inquiry"
                f"&requester_name={gen.random.choice(['%00', 'Jo', 'x' * 300, '%FF'])}"
                f"&email={gen.random.choice(['a@b.cc', '%00', 'x'])}&details=hello"
            ).encode(),
            "application/x-www-form-urlencoded",
            "console",
        ),
        lambda: Request(
            "helpdesk",
            "POST /helpdesk/login",
            "console login",
            "POST",
            "/helpdesk/login",
            f"csrf_token=x&username={gen.random.choice(['%00', 'a', '%FF'])}&password=x".encode(),
            "application/x-www-form-urlencoded",
        ),
        lambda: Request(
            "helpdesk",
            "GET /site asset",
            "asset name",
            "GET",
            "/site-assets/" + gen.random.choice(PATH_TRICKS),
            None,
            None,
        ),  # fmt: skip
    ]
    for _ in range(count):
        roll = gen.random.random()
        if roll < 0.15:
            reference = gen.random.choice(PATH_TRICKS + [gen.text(length=20)[1]])
            yield Flow([gen.random.choice(ref_route(reference))])
        else:
            yield Flow([gen.random.choice(generators)()])


def campaign(seed: int, scale: float = 1.0) -> list[Flow]:
    """Every flow of the campaign, interleaved (~10,500 requests at scale 1)."""
    gen = Generator(seed)

    def n(count: int) -> int:
        return max(1, int(count * scale))

    flows = [
        *webhook_texts(gen, n(3_600)),
        *webhook_type_confusion(gen, n(1_300)),
        *conversations(gen, n(200)),
        *helpdesk_tickets(gen, n(2_000)),
        *helpdesk_routes(gen, n(2_000)),
    ]
    gen.random.shuffle(flows)
    return flows


def request_count(flows: list[Flow]) -> int:
    return sum(len(flow.requests) for flow in flows)
