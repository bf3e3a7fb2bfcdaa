from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "enrollment.authentication.BearerTokenAuthentication"
    name = "smartBankingToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "Token from POST /api/v1/auth/token/; ends after 10 idle minutes."}
