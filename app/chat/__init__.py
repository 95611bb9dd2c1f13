"""The chat API: POST /chat, POST /chat/feedback, GET /chat/sessions/<id>."""
