package dashboard

import "github.com/kobo-oss/kobo/internal/kobo"

// The providers page: an app's own keys at each bank provider (sealed by
// the app layer, never shown again) and their health.

func (d *Dashboard) providers(q *request) error {
	list, err := d.app.AppProviders(q.r.Context(), q.partner.ID, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Providers", "providers"
	q.v.Data["Providers"] = list
	d.render(q, "providers")
	return nil
}

func (d *Dashboard) saveProvider(q *request) error {
	name := q.r.PathValue("provider")
	if err := q.r.ParseForm(); err != nil {
		return kobo.Errorf(kobo.EINVALID, "the form could not be read")
	}
	fields := map[string]string{}
	for k, v := range q.r.PostForm {
		if k != "csrf" && len(v) > 0 {
			fields[k] = v[0]
		}
	}
	if _, err := d.app.PutAppProvider(q.r.Context(), q.partner.ID, q.app.App.ID, name, fields); err != nil {
		if kobo.ErrorCode(err) != kobo.EINVALID {
			return err
		}
		q.v.Error = kobo.ErrorMessage(err)
		return d.providers(q)
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/providers", "provider-saved")
}

func (d *Dashboard) checkProvider(q *request) error {
	if _, err := d.app.CheckAppProvider(q.r.Context(), q.partner.ID, q.app.App.ID, q.r.PathValue("provider")); err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/providers", "provider-checked")
}

func (d *Dashboard) deleteProvider(q *request) error {
	if err := d.app.DeleteAppProvider(q.r.Context(), q.partner.ID, q.app.App.ID, q.r.PathValue("provider")); err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/providers", "provider-deleted")
}
