"""Example: a 20 G, 10 mm, 80 C, 90 s lesion in chicken breast (runs as a test).

The bench setting of Ortiz et al. (chicken breast at 21 C, 20 G, 10 mm, 80 C, 90 s).
"""

from rhizo.physics import LesionProtocol, simulate

result = simulate(LesionProtocol(gauge=20, tip_length_mm=10, set_temperature_c=80, duration_s=90))
lesion = result.lesion
print(f"width {lesion.width_mm:.2f} mm, length {lesion.length_mm:.2f} mm")
print(f"peak power {result.max_power_w:.1f} W")
print(f"final impedance {result.final_impedance_ohm:.0f} ohm (tissue only)")
