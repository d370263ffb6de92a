"""Talk to a running Rasa server through its REST channel, as a customer would."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RestConversation:
    """One customer's conversation over `POST /webhooks/rest/webhook`."""

    rasa_url: str
    sender: str
    transcript: list[str] = field(default_factory=list)

    def say(self, text: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            replies: list[dict[str, Any]] = json.loads(response.read())
        self.transcript.append(f"customer: {text}")
        self.transcript.extend(f"bot: {reply.get('text', reply)}" for reply in replies)
        return replies

    def press(self, replies: list[dict[str, Any]], title: str) -> list[dict[str, Any]]:
        """Press the button called `title` among `replies`, sending its payload."""
        for reply in replies:
            for button in reply.get("buttons", []):
                if button["title"] == title:
                    return self.say(button["payload"])
        raise AssertionError(f"No button {title!r} in the replies:\n{self.show()}")

    def show(self) -> str:
        return "\n".join(self.transcript)
