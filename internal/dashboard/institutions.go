package dashboard

// The institutions page: each bank's status as this app's customers meet
// it (live calls of every app in live mode, the app's own sandbox calls
// in sandbox), with the error rate and the last error kobo saw.

func (d *Dashboard) institutions(q *request) error {
	list, err := d.app.InstitutionStatuses(q.r.Context(), q.v.Live, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Institutions", "institutions"
	q.v.Data["Institutions"] = list
	d.render(q, "institutions")
	return nil
}
