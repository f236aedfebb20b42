package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// standardBanks reads the banks file (KOBO_BANKS_FILE): a JSON object whose
// keys are open-banking standards and whose values are that standard's
// connector's bank entries, left raw for the connector to parse (each
// connector owns its entry shape and its validation). A key no connector
// claims is an error, so a typo never silently drops a bank.
func standardBanks(path string, known []string) (map[string]json.RawMessage, error) {
	if path == "" {
		return map[string]json.RawMessage{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("banks file: %w", err)
	}
	var byStandard map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byStandard); err != nil {
		return nil, fmt.Errorf("banks file %s: %w", path, err)
	}
	for k := range byStandard {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("banks file %s: unknown standard %q (known: %s)", path, k, strings.Join(known, ", "))
		}
	}
	return byStandard, nil
}
