from .models import Organisation


def organisation(request):
    # A view that already loaded the organisation (for its currency) leaves it on the request.
    return {"organisation": getattr(request, "organisation", None) or Organisation.current()}
