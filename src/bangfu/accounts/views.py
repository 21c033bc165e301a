"""Sign-in and sign-out pages."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from bangfu.accounts.forms import LoginForm
from bangfu.accounts.services import login_authenticate
from bangfu.core.errors import BangfuError


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except BangfuError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            login(request, user)
            safe = url_has_allowed_host_and_scheme(
                next_url, {request.get_host()}, request.is_secure()
            )
            return redirect(next_url if safe and next_url else "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")
