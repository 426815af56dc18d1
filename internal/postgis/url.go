package postgis

import (
	"fmt"
	"net/url"
	"strings"
)

// SetDatabaseURL returns the connection string raw pointing at database name instead. Both the
// URL form and the keyword=value form are accepted.
func SetDatabaseURL(raw, name string) (string, error) {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("postgis: not a valid connection URL")
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In the keyword=value form a later keyword wins.
	return raw + " dbname=" + name, nil
}
