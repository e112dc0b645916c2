"""Scenario models: what physically happens at a site, as reads plus exported ground truth."""
