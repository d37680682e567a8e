"""Followup: hands a won client from the hunter to a farmer and plans the follow-up work."""
