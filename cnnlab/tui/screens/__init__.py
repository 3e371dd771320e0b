"""Screens of the app: experiments (home), one experiment, compare, the job form, help, dialogs."""
