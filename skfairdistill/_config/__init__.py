"""Configuration: the parameters declared once, their combination rules, the presets, and
the frozen configuration of one fit."""
