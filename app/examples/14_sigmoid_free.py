# logistic regression on one point, no torch needed: drag w, b and x
p = sigmoid(w * x + b)
loss = -log(p)
