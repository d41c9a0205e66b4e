"""The public catalogue: search with every filter, and a partner's profile with a direct request form."""
from flask import render_template, request

from app.schemas.partner import PartnerSearchArgs
from app.services import catalogue, web_profiles
from app.web.forms.public import RequestForm, SearchForm
from app.web.forms.validation import attempt, load_into
from app.web.intake import send_request
from app.web.limits import form_limits
from app.web.pages import page_blueprint
from matching import SearchFilters

blp = page_blueprint("web_catalogue", __name__)
PER_PAGE = 12


def search(form: SearchForm, page: int) -> catalogue.SearchPage | None:
    """Run the search the form describes, or show why it cannot run."""
    if not form.validate():
        return None
    args = load_into(form, PartnerSearchArgs(), form.filters() | {"page": page, "per_page": PER_PAGE})
    if args is None:
        return None
    page, per_page = args.pop("page"), args.pop("per_page")
    return attempt(form, lambda: catalogue.search(SearchFilters(**args), page, per_page))


@blp.get("/partners")
def index():
    """List partners passing the filters, best first (primary speakers of a language before others)."""
    form = SearchForm(request.args).fill_choices()
    page = max(request.args.get("page", 1, type=int), 1)
    results = search(form, page)
    return render_template("catalogue/index.html", form=form, results=results,
                           language=form.language.data or None), 200 if results else 422


@blp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
@form_limits("requests")
def profile(partner_id: int):
    """Show a partner's profile and reviews, and take a direct request."""
    partner = catalogue.get_partner(partner_id)
    context = {"partner": partner, "reviews": web_profiles.latest_reviews(partner_id)}
    return send_request(RequestForm().fill_choices(), {"partner_id": partner_id}, "catalogue/profile.html", **context)
