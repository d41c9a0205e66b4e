"""Row ids as the API accepts them: positive and within a 32-bit database integer."""
from marshmallow import validate

MAX_ID = 2**31 - 1
ID = validate.Range(min=1, max=MAX_ID)
