"""Configuration: FairDistiller's parameters, their rules and presets, resolved once per fit.

The parameters declared once (:mod:`~skfairdistill._config.parameters`), their
combination rules (:mod:`~skfairdistill._config.rules`), the presets
(:mod:`~skfairdistill._config.presets`) and the frozen configuration of one fit
(:mod:`~skfairdistill._config.fit_config`)."""
