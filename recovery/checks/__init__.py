"""Pure checks shared by the pure packages (deadlines, handover, waterfall) and the models:
identity-number checksums, the supported range of dates, facts that cannot lie in the future,
text a spreadsheet would run as a formula, and the problems a JSON calculator reports. No
Django here; the interface language reaches these messages through `checks.i18n`."""
