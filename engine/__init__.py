"""chainrule's engine: tensors, the op table, backward, the snippet interpreter and the Trace.

Nothing here imports from `app/`; the Trace is plain data every consumer reads.
"""
