package e2e

import "encoding/json"

func stdJSONUnmarshal(b []byte, v *map[string]any) error { return json.Unmarshal(b, v) }
