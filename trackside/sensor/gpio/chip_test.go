package gpio

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestFindChip(t *testing.T) {
	pi4 := map[string]string{
		"gpiochip0": LabelPi4,
		"gpiochip1": "raspberrypi-exp-gpio",
	}
	// Pi 5 before kernel 6.6.45: the RP1 header chip comes after the SoC's.
	pi5Old := map[string]string{
		"gpiochip0": "gpio-brcmstb@107d508500",
		"gpiochip1": "gpio-brcmstb@107d508520",
		"gpiochip2": "gpio-brcmstb@107d517c00",
		"gpiochip3": "gpio-brcmstb@107d517c20",
		"gpiochip4": LabelPi5,
	}
	// Pi 5 on newer kernels: RP1 is gpiochip0, gpiochip4 is a udev alias of
	// it, and the SoC chips moved to gpiochip10+.
	pi5New := map[string]string{
		"gpiochip0":  LabelPi5,
		"gpiochip4":  LabelPi5,
		"gpiochip10": "gpio-brcmstb@107d508500",
		"gpiochip11": "gpio-brcmstb@107d508520",
		"gpiochip12": "gpio-brcmstb@107d517c00",
		"gpiochip13": "gpio-brcmstb@107d517c20",
	}
	tests := []struct {
		name    string
		chips   fakeChips
		label   string
		want    string
		wantErr string
	}{
		{name: "pi4", chips: fakeChips{labels: pi4}, label: LabelPi4, want: "/dev/gpiochip0"},
		{name: "pi4 expander", chips: fakeChips{labels: pi4}, label: "raspberrypi-exp-gpio", want: "/dev/gpiochip1"},
		{name: "pi5 old kernel", chips: fakeChips{labels: pi5Old}, label: LabelPi5, want: "/dev/gpiochip4"},
		{name: "pi5 new kernel prefers gpiochip0 over its alias", chips: fakeChips{labels: pi5New}, label: LabelPi5, want: "/dev/gpiochip0"},
		{name: "gpiochip10 sorts after gpiochip4", chips: fakeChips{labels: map[string]string{
			"gpiochip10": "x", "gpiochip4": "x",
		}}, label: "x", want: "/dev/gpiochip4"},
		{name: "pi5 label on a pi4", chips: fakeChips{labels: pi4}, label: LabelPi5,
			wantErr: "present: gpiochip0=pinctrl-bcm2711, gpiochip1=raspberrypi-exp-gpio"},
		{name: "no chips at all", chips: fakeChips{}, label: LabelPi4, wantErr: "none present"},
		{name: "unreadable chip does not hide the right one", chips: fakeChips{
			labels: map[string]string{"gpiochip1": LabelPi4},
			broken: map[string]error{"gpiochip0": fs.ErrPermission},
		}, label: LabelPi4, want: "/dev/gpiochip1"},
		{name: "unreadable chip is named when nothing matches", chips: fakeChips{
			broken: map[string]error{"gpiochip0": fs.ErrPermission},
		}, label: LabelPi4, wantErr: "gpiochip0: permission denied"},
		{name: "empty label", chips: fakeChips{labels: pi4}, label: "", wantErr: "empty label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findChip(tt.chips, tt.label)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("findChip(%q) = %q, %v; want error containing %q", tt.label, got, err, tt.wantErr)
				}
				if tt.label != "" && !errors.Is(err, ErrChipNotFound) {
					t.Errorf("error %v does not wrap ErrChipNotFound", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("findChip(%q) = %q, %v; want %q", tt.label, got, err, tt.want)
			}
		})
	}
}
