"""chainrule's web layer: it only adapts requests to engine calls and Traces to responses."""

__version__ = "0.1.0"
