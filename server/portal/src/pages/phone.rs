//! `/phone`: the softphone. The page is `web/templates/phone.html` (the softphone's own
//! markup); this handler only gives it the layout's context.

use askama::Template;
use askama_web::WebTemplate;

use super::PageCtx;
use crate::auth::Viewer;

#[derive(Template, WebTemplate)]
#[template(path = "phone.html")]
pub(crate) struct PhonePage {
    pub page: PageCtx,
}

pub(crate) async fn page(viewer: Viewer) -> PhonePage {
    PhonePage {
        page: PageCtx::new(&viewer, "phone"),
    }
}
