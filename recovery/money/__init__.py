"""Pure money rules of the docket (no Django): how a payment received is applied to a debt."""
