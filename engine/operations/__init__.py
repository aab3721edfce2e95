"""Editor actions, one module per family, each holding its business rule once.

generation (generate approved, retry, regenerate, cancel, priority), review
(decisions, edit and re-check, publish, allowed_actions), keywords (decide,
undo, delete, priority), settings (profiles and this computer's settings).
`app/cli/*` and `app/services/*` both call these; neither holds a rule or SQL.
"""
