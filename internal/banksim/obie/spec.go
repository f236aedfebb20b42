package obie

import (
	"fmt"

	"github.com/kobo-oss/kobo/internal/banksim/conformance"
)

// SpecFile is a profile version's official OpenAPI file under the specs
// folder (see conformance.Find), "" for a version without one.
func SpecFile(version string) string {
	switch version {
	case "v3.1":
		return "obie/account-info-openapi-v3.1.11.yaml"
	case "v4.0":
		return "obie/account-info-openapi-v4.0.0.yaml"
	}
	return ""
}

// NewValidator checks a face's answers against the OpenAPI file at path
// (one of SpecFile's). Only the resource server's paths (under the file's
// server path) are checked; the authorization server's are not in it.
// The file's x-idempotency-key pattern uses a lookahead Go's regexp
// lacks, so the document is validated without compiling patterns (as the
// specs' README says); responses are still checked against every other
// pattern.
func NewValidator(path string) (*conformance.Validator, error) {
	v, err := conformance.New(path, conformance.Options{DisableSchemaPatternValidation: true})
	if err != nil {
		return nil, fmt.Errorf("obie spec: %w", err)
	}
	return v, nil
}
