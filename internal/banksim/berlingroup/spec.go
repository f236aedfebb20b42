package berlingroup

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kobo-oss/kobo/internal/banksim/conformance"
)

// SpecFile is the official NextGenPSD2 OpenAPI file under the specs
// folder (see conformance.Find).
const SpecFile = "berlin-group/psd2-api-1.3.11_2021-09-24.yaml"

// NewValidator checks the answers of a face served at base against the
// file at path (SpecFile's). The file's servers are replaced by base,
// since the face is not at the spec's example host, and only XS2A paths
// (/v1/...) are checked: the login pages and the OAuth server are not in
// the spec. The spec's own examples do not all validate (its README says
// so); the schemas are what a response is measured against.
func NewValidator(path, base string) (*conformance.Validator, error) {
	return conformance.New(path, conformance.Options{Base: base, Under: "/v1/", DisableExamplesValidation: true, Adjust: relaxOneOf})
}

// ambiguousOneOf are the spec's responses whose oneOf branches are not
// mutually exclusive: every branch of OK_200_UpdatePsuData (the answer to
// PUT .../authorisations/{id}) needs only scaStatus and allows any other
// property, so every body matches three branches at once and no body can
// satisfy oneOf. For these, the validator asks that the body match at
// least one branch (anyOf), which is what the spec's authors evidently
// meant; every other oneOf is kept as written. The file is not changed.
var ambiguousOneOf = []string{"OK_200_UpdatePsuData"}

func relaxOneOf(doc *openapi3.T) {
	for _, name := range ambiguousOneOf {
		r := doc.Components.Responses[name]
		if r == nil || r.Value == nil {
			continue
		}
		for _, mt := range r.Value.Content {
			if mt.Schema == nil || mt.Schema.Value == nil || len(mt.Schema.Value.OneOf) == 0 {
				continue
			}
			s := *mt.Schema.Value
			s.AnyOf, s.OneOf = s.OneOf, nil
			mt.Schema = &openapi3.SchemaRef{Value: &s}
		}
	}
}
