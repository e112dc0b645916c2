"""Condition monitoring, pure: alert rules, the rule engine, mean kinetic temperature."""
