"""Handler of /openapi.json: the API's own description."""


async def get_openapi(api, req):
    """The OpenAPI document, encoded once by the AdminApp."""
    return 200, api.openapi_body
