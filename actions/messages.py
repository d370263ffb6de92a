"""What the request actions say to customers, in one place.

These texts are sent by custom actions only (the form questions, validation answers and
ticket outcomes), so they live here rather than as domain responses that no story uses.
"""

from __future__ import annotations

ASK_REQUESTER_NAME = "What is your full name?"
ASK_EMAIL = "Which email address should the Help Desk use to contact you?"
ASK_SERVICE = 'Which CASIO service or website is this about? If you\'re not sure, just say "skip".'
ASK_DETAILS = (
    "Please describe your request in a sentence or two (for example which data, and what you "
    "would like CASIO to do)."
)
ASK_WHAT_TO_CHANGE = (
    'What would you like to change? Pick a field, or just tell me, for example "my email is '
    'actually jane@example.com".'
)
ASK_STATUS_REFERENCE = "What is the reference of your request? It looks like PR-7KQ2-M9XD."
ASK_STATUS_EMAIL = "And which email address did you give with that request?"

INVALID_REQUESTER_NAME = (
    'Sorry, that doesn\'t look like a name. Please type your full name, for example "Jane Doe".'
)
INVALID_EMAIL = (
    "Hmm, that doesn't look like an email address I can use. Please type one address like "
    "jane@example.com."
)
INVALID_SERVICE = (
    "Sorry, I couldn't use that as a service name. Please type the service or website "
    '(under 200 characters), or say "skip".'
)
INVALID_DETAILS = (
    "Please describe your request in a few words (up to 5,000 characters), so the Help Desk "
    "knows what to do."
)
INVALID_REFERENCE = (
    "Sorry, that doesn't look like a request reference. References look like PR-7KQ2-M9XD."
)

REQUEST_CANCELLED = (
    "Okay, I've stopped. Nothing was sent to the Help Desk, and I've cleared what you typed. "
    "Is there anything else I can help with?"
)
NO_REQUEST_TO_SEND = (
    "There's no request waiting to be sent. Tell me what you would like to do, for example "
    '"I want my data deleted".'
)
OTHER_WAYS_TO_REACH_THE_HELP_DESK = (
    "You can also reach the Help Desk the way the privacy policy describes: use the amendment "
    "request form on the CASIO website where you registered, or contact the appropriate CASIO "
    "customer service."
)
SUBMISSION_UNAVAILABLE = (
    "I'm sorry, I could not record your request: the Help Desk system is not answering right "
    "now, so I have no reference to give you. I've kept what you entered, so you can say "
    '"try again" in a moment. ' + OTHER_WAYS_TO_REACH_THE_HELP_DESK
)
SUBMISSION_RATE_LIMITED = (
    "I'm sorry, I could not record your request: the Help Desk is receiving too many requests "
    "right now, so I have no reference to give you. I've kept what you entered, so you can say "
    '"try again" in a minute. ' + OTHER_WAYS_TO_REACH_THE_HELP_DESK
)
SUBMISSION_REJECTED = (
    "I'm sorry, I could not record your request: the Help Desk did not accept it ({reason}), "
    "so I have no reference to give you. " + OTHER_WAYS_TO_REACH_THE_HELP_DESK
)
SUBMISSION_OPENED = (
    "Your {label} request {reference} is open. The Help Desk will contact you at {email} to "
    "verify your identity before acting."
)
SUBMISSION_NEXT_STEPS = (
    "What happens next: the Help Desk checks your identity, then handles your request. It is "
    "due by {due_date}. Keep the reference {reference}: you can ask me about its status at any "
    "time with it and your email address."
)

STATUS_REPORT = "Your {label} request {reference}: {status_label}."
STATUS_DUE = " It is due by {due_date}."
STATUS_NOT_FOUND = (
    "I couldn't find a request with that reference and email address. Please check both: the "
    "reference looks like PR-7KQ2-M9XD, and the email must be the one you gave with the request."
)
STATUS_UNAVAILABLE = (
    "I'm sorry, I can't reach the Help Desk system right now, so I can't check your request. "
    "Please try again in a little while."
)
STATUS_RATE_LIMITED = (
    "I'm sorry, there have been too many status checks in a short time. Please wait a minute "
    "and ask me again."
)
STATUS_NEEDS_REFERENCE_AND_EMAIL = (
    "To check a request I need its reference and your email address. Just ask me \"what's the "
    'status of my request" to start again.'
)
