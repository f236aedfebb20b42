package dashboard

import (
	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// addons is the app's Add-ons page: features such as headless Connect
// that live keys have only once the deployment's operator approves them
// (sandbox keys always have them), with the app's request state.
func (d *Dashboard) addons(q *request) error {
	q.v.Title, q.v.Nav = "Add-ons", "addons"
	list, err := d.app.AppAddons(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Data["Addons"] = list
	q.v.Data["CanRequest"] = app.Can(q.v.Role, app.PermSettings)
	d.render(q, "addons")
	return nil
}

func (d *Dashboard) requestAddon(q *request) error {
	addon := q.r.PostFormValue("addon")
	a, err := d.app.RequestAddon(q.r.Context(), q.org, q.app.App.ID, addon, q.r.PostFormValue("reason"))
	if err != nil {
		if fieldErrors(q, err) {
			return d.addons(q)
		}
		return err
	}
	msg := "Requested. The operator of this kobo reviews add-on requests; your live keys can use it once approved. Sandbox keys already can."
	if a.Status == kobo.AddonApproved {
		msg = "Already approved: your live keys can use it."
	}
	return d.redirectWith(q, "/dashboard/apps/"+q.app.App.ID+"/addons", app.FlashMessage{Kind: "ok", Message: msg})
}
