"""The chatbot engine: plain Python stages that know nothing of Flask."""
