from micrograd.engine import Value

a = Value(2.0)
b = Value(-3.0)
c = a + b
d = a * b + b**3
e = (c * d).relu()
e.backward()   # micrograd always seeds 1.0: every Value is a scalar
print(a.grad, b.grad)
