"""Tags that act: rule-defined or manual tags with their membership history, and automations
that do one thing when a member enters a tag, with a held-out control group."""
