package atrest

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ClaimDeliveryRuns opens each claimed delivery's event, as ClaimDeliveries
// does.
func (t *sealedTx) ClaimDeliveryRuns(ctx context.Context, worker string, n, runLen int, now time.Time, lease time.Duration) ([][]*kobo.Delivery, error) {
	runs, err := t.Tx.ClaimDeliveryRuns(ctx, worker, n, runLen, now, lease)
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		for _, d := range run {
			if err := t.openDeliveryEvent(d); err != nil {
				// as in ClaimDeliveries: the attempt fails with "no event"
				d.Event = nil
			}
		}
	}
	return runs, nil
}
